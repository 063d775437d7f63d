"""Decision tables of the interval designs, outcome strings and MTD selection.

Sources:
- [I33] Liu M, Wang S-J, Ji Y. The i3+3 design for phase I clinical trials. J Biopharm Stat 2020;30(2):294-304;
  rules as implemented in CRAN package FIND ``get_decision_i3plus3`` (E below the EI, S inside it, above it
  S if (y - 1)/n is below the EI else D; DU if P(p > pT | data) > 0.95).
- [MTPI2] Guo W et al. Contemp Clin Trials 2017;58:23-33; brockk/escalation R/mtpi2_selector.R (intervals of
  width eps1 + eps2 from the EI edges, shorter end intervals kept, largest unit probability mass decides).
- [KB] Yan F, Mandrekar SJ, Yuan Y. Clin Cancer Res 2017;23:3994-4003 (equal-width keys, partial keys at 0 and 1
  dropped, strongest key decides).
- [ESC] R package escalation outcome strings ('1NNN 2NTT'), Brock 2019.
- [SRC] cran/BOIN R/select.mtd.R for the selection transcribed in ``select_mtd``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta as beta_dist

from celltrial.escalation.designs import (
    boin,
    boin_boundaries,
    i3plus3,
    keyboard,
    mtpi2,
    parse_outcomes,
    select_mtd,
    select_mtd_batch,
)
from celltrial.escalation.designs.isotonic import isotonic_fit_batch, pava
from celltrial.escalation.designs.tables import CODE_NAMES, DU, E


def test_parse_outcomes():
    # [ESC]
    cohorts = parse_outcomes("1NNN 2ntt  3T")
    assert [(c.dose, c.n, c.dlts) for c in cohorts] == [(1, 3, 0), (2, 3, 2), (3, 1, 1)]
    assert parse_outcomes("") == []
    for bad in ("1NXN", "NNN", "0NNN", "2"):
        with pytest.raises(ValueError):
            parse_outcomes(bad)
    with pytest.raises(ValueError, match="top dose"):
        parse_outcomes("4NNN", n_doses=3)


def test_i3plus3_rules():
    # [I33] target 0.25, EI [0.2, 0.3]
    t = i3plus3(0.25, 5, epsilon1=0.05, epsilon2=0.05).decision_table(12)
    for n in range(3, 13):
        for y in range(n + 1):
            if 1 - beta_dist.cdf(0.25, y + 1, n - y + 1) > 0.95:
                want = "DU"
            elif y / n < 0.2:
                want = "E"
            elif y / n <= 0.3:
                want = "S"
            else:
                want = "S" if (y - 1) / n < 0.2 else "D"
            assert t.decision(n, y) == want, (n, y)


def test_mtpi2_and_keyboard_tables_target_03():
    # [MTPI2] / [KB]: with pT = 0.3 and a 0.1-wide equivalence interval / key, 3 patients:
    # 0 DLT escalate, 1 stay, 2 de-escalate, 3 eliminate
    for design in (mtpi2(0.3, 5), keyboard(0.3, 5)):
        t = design.decision_table(9)
        assert [t.decision(3, y) for y in range(4)] == ["E", "S", "D", "DU"]
        assert [t.decision(6, y) for y in range(3)] == ["E", "S", "D"] or t.decision(6, 1) == "E"


def test_upm_rule_by_hand():
    # [MTPI2]: n = 6, y = 2, pT = 0.3, eps = 0.05: compare unit probability masses directly
    post = beta_dist(3, 5)
    width = 0.1
    ivals = [(0, 0.05), (0.05, 0.15), (0.15, 0.25), (0.25, 0.35)] + [(a, min(a + width, 1)) for a in
                                                                      np.arange(0.35, 1, width)]
    upm = [(post.cdf(b) - post.cdf(a)) / (b - a) for a, b in ivals]
    best = int(np.argmax(upm))
    want = "E" if best < 3 else "S" if best == 3 else "D"
    assert mtpi2(0.3, 5).decision_table(6).decision(6, 2) == want


@pytest.mark.parametrize("make", [boin, mtpi2, i3plus3, keyboard])
def test_tables_are_monotone_in_y(make):
    t = make(0.25, 5).decision_table(30)
    for n in range(1, 31):
        row = t.codes[n, : n + 1]
        assert np.all(np.diff(row) >= 0), (n, [CODE_NAMES[int(c)] for c in row])
        assert row[0] == E
    assert t.codes[30, 30] == DU


def test_boin_table_matches_boundaries():
    t = boin(0.25, 5).decision_table(18)
    b = boin_boundaries(0.25, 18)
    cb = t.count_boundaries(list(range(1, 19)))
    assert cb["escalate_if_le"] == [int(v) for v in b.escalate[1:]]
    assert cb["deescalate_if_ge"] == [int(v) for v in b.deescalate[1:]]


def test_pava():
    np.testing.assert_allclose(pava([0.3, 0.2, 0.4]), [0.25, 0.25, 0.4])
    np.testing.assert_allclose(pava([0.3, 0.2, 0.1], [1, 1, 2]), [0.175] * 3)


counts_strategy = st.integers(1, 6).flatmap(lambda k: st.tuples(
    st.lists(st.integers(0, 12), min_size=k, max_size=k),
    st.lists(st.floats(0, 1), min_size=k, max_size=k)))


@settings(max_examples=300, deadline=None)
@given(counts_strategy, st.sampled_from([0.2, 0.25, 0.3]), st.booleans(), st.booleans())
def test_batch_selection_equals_transcription(data, target, extrasafe, bound):
    # [SRC]: the vectorised max-min selection equals the transcription of select.mtd
    ns, fr = data
    n = np.array(ns)
    y = np.floor(np.array(fr) * n).astype(int)
    lam_d = 1.4 * target - 0.04
    ref = select_mtd(n, y, target, extrasafe=extrasafe, bound_mtd=bound, lambda_d=lam_d)
    got = select_mtd_batch(n[None], y[None], target, extrasafe=extrasafe, bound_mtd=bound, lambda_d=lam_d)[0]
    assert got == ref


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0.1, 10)), min_size=1, max_size=7))
def test_isotonic_batch_equals_pava(pairs):
    x = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs])
    np.testing.assert_allclose(isotonic_fit_batch(x[None], w[None])[0], pava(x, w), atol=1e-12)
