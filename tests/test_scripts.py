"""The README's two commands on a Python that refuses pip installs (PEP 668), as Debian 12 and
Ubuntu 23.04+ ship it: the scripts must make and use the project's own virtual environment."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CANDIDATES = ["/usr/bin/python3", "/opt/homebrew/bin/python3", "/usr/local/bin/python3"]
ASK = ("import os, sys, sysconfig; print(sys.prefix == sys.base_prefix and "
       "os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))")


def externally_managed_python():
    """A system Python carrying PEP 668's EXTERNALLY-MANAGED marker (scripts/test installs Debian's)."""
    for path in CANDIDATES:
        if os.path.exists(path):
            answer = subprocess.run([path, "-c", ASK], capture_output=True, text=True)
            if answer.stdout.strip() == "True":
                return path
    return None


def project_copy(destination):
    """The project's tracked and new files (no .venv, no build outputs), as a fresh clone has them."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\n")
    for name in filter(None, listed):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.join(destination, os.path.dirname(name)), exist_ok=True)
            shutil.copy2(source, os.path.join(destination, name))


def run(command, cwd, env):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr


def test_readme_commands_work_on_a_python_that_refuses_pip(tmp_path):
    system_python = externally_managed_python()
    assert system_python, ("no Python with an EXTERNALLY-MANAGED marker among " + ", ".join(CANDIDATES)
                           + ": scripts/test installs Debian's python3 and python3-venv with apt")
    # The premise: installing into that Python directly is refused.
    code, said = run([system_python, "-m", "pip", "install", "--dry-run", "numpy"], tmp_path, dict(os.environ))
    assert code != 0, said

    repo = tmp_path / "fresh clone"                      # a space in the path, as users' folders have
    project_copy(repo)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(system_python, bin_dir / "python3")        # `python3` is the system's, as on a fresh machine
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"

    code, said = run(["bash", "scripts/mnist", "--help"], repo, env)
    assert code == 0, said
    assert "creating the project's virtual environment .venv" in said
    assert "--epochs" in said                               # the example's own help, run by the venv's Python

    code, said = run(["bash", "scripts/test", "--collect-only", "-q", "tests/test_engine.py"], repo, env)
    assert code == 0, said
    assert "using the project's virtual environment .venv" in said
    assert "tests collected" in said

    venv_python = repo / ".venv" / "bin" / "python"
    code, said = run([str(venv_python), "-c", "import sys, autodiff, nn, pytest; print(sys.base_prefix)"], repo, env)
    assert code == 0, said
    base = subprocess.run([system_python, "-c", "import sys; print(sys.base_prefix)"], capture_output=True,
                          text=True).stdout
    assert said.strip() == base.strip()                      # the venv is built on the system Python


def test_scripts_use_the_virtual_environment_they_run_in(tmp_path):
    """Inside an active virtual environment no .venv is made: the user's environment is used."""
    env = dict(os.environ, VIRTUAL_ENV=sys.prefix)
    code, said = run(["bash", "-c", ". scripts/python-env.sh && echo \"PYTHON=$PYTHON\""], ROOT, env)
    assert code == 0, said
    assert "PYTHON=python3" in said and ".venv" not in said
