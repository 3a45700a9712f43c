"""alssim: an agent-based simulator of amyotrophic lateral sclerosis.

Every upper and lower motor neuron of a virtual patient is an agent; the disease starts focally on
one side of one body region and spreads to the other side and to neighbouring regions.

>>> import alssim
>>> cfg = alssim.load_config(overrides={"simulation.scale": 0.01})
>>> res = alssim.simulate(cfg, seed=1)
>>> df = res.to_dataframe()
"""

from alssim._version import __version__
from alssim.calibrate import calibrate
from alssim.cohort import CohortResult, load_cohort, run_cohort
from alssim.config import Config, load_config
from alssim.engine import simulate, simulate_batch
from alssim.errors import AlssimError, ConfigError, ResultFormatError
from alssim.results import Result, load
from alssim.sweep import sweep  # the function; the module is sys.modules['alssim.sweep']
from alssim.trials import run_trial

__all__ = [
    "AlssimError",
    "CohortResult",
    "Config",
    "ConfigError",
    "Result",
    "ResultFormatError",
    "__version__",
    "calibrate",
    "load",
    "load_cohort",
    "load_config",
    "run_cohort",
    "run_trial",
    "simulate",
    "simulate_batch",
    "sweep",
]
