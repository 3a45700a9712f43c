"""The clinical layer: what a clinician sees, derived from the recorded neuron populations.

Pure, vectorised functions of a :class:`~alssim.results.Result` (never the engine's random
streams): strength with collateral reinnervation, UMN signs, fasciculations, ALSFRS-R, FVC,
King's and MiToS stages, death from respiratory failure, EMG/MUNE/CMAP/split hand, and the
El Escorial, Awaji and Gold Coast criteria with the time of diagnosis. One module per concept;
:func:`assess` runs them all and returns a :class:`ClinicalCourse`.

>>> import alssim
>>> res = alssim.simulate(alssim.load_config(overrides={"simulation.scale": 0.01}), seed=1)
>>> res.clinical["alsfrs_r"].shape == res.times_months.shape
True
"""

from alssim.clinical.assess import CLINICAL_VARIABLES, ClinicalCourse, ClinicalVariable, assess
from alssim.clinical.params import Clinical

__all__ = ["CLINICAL_VARIABLES", "Clinical", "ClinicalCourse", "ClinicalVariable", "assess"]
