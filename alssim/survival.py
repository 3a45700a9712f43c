"""Survival statistics: Kaplan–Meier with Greenwood limits, log-rank test, Cox hazard ratio.

Functions of event times, used by the analysis layer, validation and virtual trials. ``times``
are event or censoring times (any unit, >= 0); ``events`` is True where the event was observed and
False where the subject was censored.

The estimates come from :mod:`scipy.stats` where it has them: the Kaplan–Meier curve and its
Greenwood limits from :func:`scipy.stats.ecdf` on :class:`scipy.stats.CensoredData`, the
two-group log-rank test from :func:`scipy.stats.logrank`. Written here: the risk table (counts at
risk and events), the log-rank test of three or more groups (scipy's compares two samples) and the
Cox partial-likelihood fit of one binary covariate (scipy has none), with a defined result when
one arm has no events (:attr:`CoxResult.separated`).

P values never read 0: one below :data:`P_FLOOR` (smaller ones underflow double precision to
0) is given as :data:`P_FLOOR` and printed by :func:`format_pvalue` as ``p < 1e-300``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy.stats import CensoredData, chi2, ecdf, logrank, norm

__all__ = ["P_FLOOR", "CoxResult", "KaplanMeier", "LogRankResult", "cox_hazard_ratio",
           "format_pvalue", "kaplan_meier", "logrank_test", "pvalue_floor"]

#: Smallest p value given as a number: smaller ones (down to an underflow to 0) are given as
#: this bound, which :func:`format_pvalue` prints as ``p < 1e-300``.
P_FLOOR = 1e-300


def pvalue_floor(p: float) -> float:
    """``p`` raised to :data:`P_FLOOR` (NaN stays NaN): a p value is never 0."""
    p = float(p)
    return p if math.isnan(p) or p > P_FLOOR else P_FLOOR


def format_pvalue(p: float | None, digits: int = 3) -> str:
    """A p value for reports: ``"p = 0.0123"``, ``"p = 4.56e-12"``, ``"p < 1e-300"``.

    Parameters
    ----------
    p : float or None
        The p value; at or below :data:`P_FLOOR` (including an underflowed 0) it is printed as
        a bound; ``None`` or NaN as ``"p = n/a"``.
    digits : int
        Significant digits.
    """
    if p is None or math.isnan(float(p)):
        return "p = n/a"
    p = float(p)
    if p <= P_FLOOR:
        return f"p < {P_FLOOR:.0e}"
    return f"p = {p:.{digits}g}"


def _as_arrays(times, events) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=float).ravel()
    e = np.ones(t.shape, dtype=bool) if events is None else np.asarray(events, dtype=bool).ravel()
    if t.shape != e.shape:
        raise ValueError(f"times and events must have the same length; got {t.size} and {e.size}")
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("times must be finite and non-negative")
    return t, e


def _risk_table(t: np.ndarray, e: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number at risk just before, and events at, each time of ``at`` (sorted, distinct)."""
    ts = np.sort(t)
    at_risk = t.size - np.searchsorted(ts, at, side="left")
    ev = np.sort(t[e])
    d = np.searchsorted(ev, at, side="right") - np.searchsorted(ev, at, side="left")
    return at_risk.astype(np.int64), d.astype(np.int64)


@dataclasses.dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier survival estimate with pointwise confidence limits.

    Attributes
    ----------
    time : ndarray, shape (k + 1,)
        0 followed by the distinct event times (ascending), same unit as the input.
    survival : ndarray, shape (k + 1,)
        Estimated survival just after each time (a right-continuous step function).
    lower, upper : ndarray, shape (k + 1,)
        Pointwise confidence limits (Greenwood variance; see :func:`kaplan_meier`).
    at_risk, events : ndarray of int, shape (k + 1,)
        Number at risk just before, and number of events at, each time.
    n : int
        Number of subjects.
    median : float
        Smallest time with survival <= 0.5 (``inf`` if never reached).
    median_lower, median_upper : float
        Confidence limits of the median (Brookmeyer–Crowley: where the pointwise limits cross
        0.5; ``inf`` when not reached).
    """

    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    n: int
    median: float
    median_lower: float = math.inf
    median_upper: float = math.inf

    def at(self, t: float | np.ndarray) -> np.ndarray:
        """Survival at time(s) ``t`` (the step function evaluated)."""
        idx = np.searchsorted(self.time, np.asarray(t, dtype=float), side="right") - 1
        return self.survival[np.clip(idx, 0, None)]


def _first_at_or_below(time: np.ndarray, curve: np.ndarray, level: float) -> float:
    below = np.nonzero(curve <= level + 1e-12)[0]  # tolerance: the product rounds
    return float(time[below[0]]) if below.size else math.inf


def kaplan_meier(times: Sequence[float] | np.ndarray,
                 events: Sequence[bool] | np.ndarray | None = None, *, alpha: float = 0.05,
                 ci: str = "log-log") -> KaplanMeier:
    """Kaplan–Meier estimate of survival with Greenwood confidence limits.

    Parameters
    ----------
    times : array_like, shape (n,)
        Time of the event or of censoring for each subject (>= 0, finite).
    events : array_like of bool, shape (n,), optional
        True where the event was observed, False where censored (default: all observed).
        Censored subjects count as at risk at their own time (censoring after events at ties).
    alpha : float
        1 - confidence level (0.05: 95% limits).
    ci : {'log-log', 'plain'}
        'log-log' (default): limits ``S ** exp(+-z * se / |log S|)`` with ``se**2`` the
        Greenwood sum (Kalbfleisch & Prentice), which stay within [0, 1]; 'plain':
        ``S +- z * S * sqrt(greenwood)`` clipped to [0, 1] (scipy's ``'linear'``).

    Returns
    -------
    KaplanMeier

    Raises
    ------
    ValueError
        For negative or non-finite times, mismatched lengths, or an unknown ``ci``.

    Notes
    -----
    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``; Greenwood: ``Var S(t) = S(t)**2 *
    sum_{t_i <= t} d_i / (n_i (n_i - d_i))``. The curve and the limits are those of
    :func:`scipy.stats.ecdf` (its survival function and ``confidence_interval``), read at the
    distinct event times. Where survival reaches 0 the limits are 0.
    """

    t, e = _as_arrays(times, events)
    if ci not in ("log-log", "plain"):
        raise ValueError(f"ci must be 'log-log' or 'plain'; got {ci!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    ev_times = np.unique(t[e])
    at_risk, d = _risk_table(t, e, ev_times)
    if ev_times.size:
        sf = ecdf(CensoredData.right_censored(t, ~e)).sf
        surv = sf.evaluate(ev_times)
        with warnings.catch_warnings():  # undefined where S is 0: the limits are 0 there
            warnings.simplefilter("ignore", RuntimeWarning)
            limits = sf.confidence_interval(1 - alpha,
                                            method="linear" if ci == "plain" else "log-log")
        lo, hi = limits.low.evaluate(ev_times), limits.high.evaluate(ev_times)
    else:
        surv = lo = hi = np.zeros(0)
    zero = surv <= 0
    lo = np.clip(np.nan_to_num(np.where(zero, 0.0, lo), nan=0.0), 0.0, 1.0)
    hi = np.clip(np.nan_to_num(np.where(zero, 0.0, hi), nan=1.0), 0.0, 1.0)
    time = np.r_[0.0, ev_times]
    return KaplanMeier(
        time=time, survival=np.r_[1.0, surv], lower=np.r_[1.0, lo], upper=np.r_[1.0, hi],
        at_risk=np.r_[t.size, at_risk], events=np.r_[0, d], n=int(t.size),
        median=_first_at_or_below(ev_times, surv, 0.5),
        median_lower=_first_at_or_below(ev_times, lo, 0.5),
        median_upper=_first_at_or_below(ev_times, hi, 0.5))


@dataclasses.dataclass(frozen=True)
class LogRankResult:
    """Log-rank test of equal survival between groups.

    Attributes
    ----------
    statistic : float
        Chi-square statistic.
    dof : int
        Degrees of freedom (groups - 1).
    pvalue : float
        At least :data:`P_FLOOR` (smaller ones underflow).
    observed, expected : ndarray, shape (n_groups,)
        Observed and expected events per group (groups in sorted order).
    """

    statistic: float
    dof: int
    pvalue: float
    observed: np.ndarray
    expected: np.ndarray


def logrank_test(times, events, groups) -> LogRankResult:
    """Log-rank (Mantel–Cox) test that survival is the same in every group.

    Parameters
    ----------
    times, events : array_like, shape (n,)
    groups : array_like, shape (n,)
        Group label of each subject (two or more distinct values).

    Notes
    -----
    Two groups: :func:`scipy.stats.logrank` (two-sided; the statistic here is the square of
    its standard normal one). Three or more: ``(O - E)' V^+ (O - E)`` over the first ``k - 1``
    groups, with the hypergeometric covariance ``V`` of the observed events, on ``k - 1``
    degrees of freedom (scipy compares two samples only).
    """

    t, e = _as_arrays(times, events)
    g = np.asarray(groups).ravel()
    if g.shape != t.shape:
        raise ValueError(f"groups must have the same length as times; got {g.size} and {t.size}")
    labels = np.unique(g)
    if labels.size < 2:
        raise ValueError("logrank_test needs at least two groups")
    ev_times = np.unique(t[e])
    n_all, d_all = _risk_table(t, e, ev_times)
    k = labels.size
    o, ex = np.zeros(k), np.zeros(k)
    n_g = np.zeros((k, ev_times.size))
    for i, lab in enumerate(labels):
        m = g == lab
        n_i, d_i = _risk_table(t[m], e[m], ev_times)
        n_g[i] = n_i
        o[i] = d_i.sum()
        ex[i] = (d_all * n_i / np.maximum(n_all, 1)).sum()
    if not e.any():
        return LogRankResult(0.0, k - 1, 1.0, o, ex)
    if k == 2:
        a, b = g == labels[0], g == labels[1]
        res = logrank(CensoredData.right_censored(t[a], ~e[a]),
                      CensoredData.right_censored(t[b], ~e[b]))
        return LogRankResult(float(res.statistic) ** 2, 1, pvalue_floor(res.pvalue), o, ex)
    stat = _k_group_statistic(o, ex, n_all, d_all, n_g)
    return LogRankResult(stat, k - 1, pvalue_floor(chi2.sf(stat, k - 1)), o, ex)


def _k_group_statistic(observed: np.ndarray, expected: np.ndarray, n_all: np.ndarray,
                       d_all: np.ndarray, n_group: np.ndarray) -> float:
    """Log-rank chi-square of ``k`` groups: ``(O - E)' V^+ (O - E)`` over the first ``k - 1``.

    ``observed``, ``expected``: shape (k,); ``n_all``, ``d_all``: at risk and events at each
    distinct event time, shape (m,); ``n_group``: at risk per group, shape (k, m). ``V`` is the
    hypergeometric covariance of the observed events.
    """
    k = observed.size
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(n_all > 1, d_all * (n_all - d_all) / (n_all**2 * (n_all - 1.0)), 0.0)
    n_first = n_group[: k - 1]
    v = np.diag((f * n_all * n_first).sum(axis=1)) - (f * n_first) @ n_first.T
    diff = (observed - expected)[: k - 1]
    return float(diff @ np.linalg.pinv(v) @ diff) if np.any(v) else 0.0


@dataclasses.dataclass(frozen=True)
class CoxResult:
    """Cox proportional-hazards fit for one binary covariate.

    Attributes
    ----------
    hazard_ratio, lower, upper : float
        Hazard ratio of group 1 vs group 0 and its Wald confidence limits.
    pvalue : float
        Wald test of ``log HR = 0`` (at least :data:`P_FLOOR`).
    log_hr, se : float
        Coefficient and its standard error.
    separated : bool
        True when one arm has no events (or the fit diverges): the partial likelihood then has
        no maximum, ``hazard_ratio`` is 0 (no event among the treated) or ``inf`` (none among the
        controls), ``log_hr`` is ``-inf`` or ``inf``, and ``lower``, ``upper``, ``se`` and
        ``pvalue`` are NaN (:func:`logrank_test` still tests the difference).
    """

    hazard_ratio: float
    lower: float
    upper: float
    pvalue: float
    log_hr: float
    se: float
    separated: bool = False


#: Largest |log hazard ratio| the Newton iteration may reach before the fit counts as diverging
#: (a hazard ratio beyond e**30 ~ 1e13 means separation, not an estimate).
_MAX_LOG_HR = 30.0


def cox_hazard_ratio(times, events, treated, *, alpha: float = 0.05,
                     max_iter: int = 50) -> CoxResult:
    """Hazard ratio of ``treated`` (1) vs control (0) by Cox partial likelihood (Breslow ties).

    Parameters
    ----------
    times, events : array_like, shape (n,)
    treated : array_like of {0, 1}, shape (n,)
        1 for the treated arm, 0 for the controls (booleans accepted); both arms present.
    alpha : float
        1 - confidence level.
    max_iter : int
        Newton–Raphson iterations at most.

    Returns
    -------
    CoxResult
        Without any event every field is NaN. When one arm has no events the estimate is on
        the boundary (see :attr:`CoxResult.separated`).

    Raises
    ------
    ValueError
        For mismatched lengths, a covariate coded other than 0/1, or an empty arm.
    """

    t, e = _as_arrays(times, events)
    x = np.asarray(treated, dtype=float).ravel()
    if x.shape != t.shape:
        raise ValueError("treated must have the same length as times")
    codes = np.unique(x)
    if not np.isin(codes, (0.0, 1.0)).all():
        shown = ", ".join(f"{c:g}" for c in codes[:5])
        raise ValueError(f"treated must be coded 0 (control) and 1 (treated); got values {shown}")
    if codes.size < 2:
        raise ValueError("cox_hazard_ratio needs subjects in both arms (treated 0 and 1)")
    nan = math.nan
    if not e.any():
        return CoxResult(nan, nan, nan, nan, nan, nan)
    treated_events = int(x[e].sum())
    if treated_events in (0, int(e.sum())):  # one arm without events: no finite maximum
        return _separated(direction=-1.0 if treated_events == 0 else 1.0)
    ev_times = np.unique(t[e])
    order = np.argsort(t)
    ts, xs = t[order], x[order]
    start = np.searchsorted(ts, ev_times, side="left")  # risk set: ts[start:]
    d_tot = np.searchsorted(np.sort(t[e]), ev_times, side="right") - np.searchsorted(
        np.sort(t[e]), ev_times, side="left")
    d_x = np.array([x[e & (t == u)].sum() for u in ev_times])
    beta = 0.0
    info = 0.0
    for _ in range(max_iter):
        w = np.exp(beta * xs)
        s0 = np.cumsum(w[::-1])[::-1][start]
        s1 = np.cumsum((w * xs)[::-1])[::-1][start]
        mean = s1 / s0
        grad = float((d_x - d_tot * mean).sum())
        info = float((d_tot * (mean - mean**2)).sum())  # x binary: s2 = s1
        if info <= 0:
            break
        step = grad / info
        beta += step
        if abs(beta) > _MAX_LOG_HR:
            return _separated(direction=math.copysign(1.0, beta))
        if abs(step) < 1e-10:
            break
    if info <= 0:  # no event with both arms at risk: nothing identifies the ratio
        return CoxResult(nan, nan, nan, nan, nan, nan)
    se = 1.0 / math.sqrt(info)
    z = float(norm.ppf(1 - alpha / 2))
    p = pvalue_floor(2 * norm.sf(abs(beta / se)))
    return CoxResult(math.exp(beta), math.exp(beta - z * se), math.exp(beta + z * se), p,
                     beta, se)


def _separated(direction: float) -> CoxResult:
    """The boundary result of a fit whose log hazard ratio runs to ``direction * inf``."""
    nan = math.nan
    log_hr = direction * math.inf
    return CoxResult(0.0 if direction < 0 else math.inf, nan, nan, nan, log_hr, nan,
                     separated=True)
