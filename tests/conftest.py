import os

from hypothesis import HealthCheck, settings

# CI: no deadline (shared machines are noisy), derandomized so a run is reproducible,
# and a fixed number of examples per property that keeps the whole suite to a few minutes.
settings.register_profile("ci", deadline=None, derandomize=True, max_examples=100,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=300,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
