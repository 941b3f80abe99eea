import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI: no deadline (shared machines are noisy), derandomized so a run is reproducible,
# and a fixed number of examples per property that keeps the whole suite to a few minutes.
settings.register_profile("ci", deadline=None, derandomize=True, max_examples=100,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=300,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The documentation site, built once by `mkdocs build --strict` (the tutorial executed) into a temporary folder."""
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          env={**{k: v for k, v in os.environ.items() if k != "MPLBACKEND"},    # the notebook draws inline
                               "NO_MKDOCS_2_WARNING": "1"})
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    warnings = re.findall(r"^WARNING\s+-.*$", log, re.M)          # MkDocs's own warnings (a kernel's log lines are not)
    assert warnings == [], "\n".join(warnings)
    return site
