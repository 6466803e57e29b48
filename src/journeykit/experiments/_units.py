"""The one-row-per-unit table an analysis reads, built from records or journeys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeykit.deals import Outcome
from journeykit.errors import Problem, ValidationError
from journeykit.experiments._design import Assignment
from journeykit.journeys import Journeys
from journeykit.records import Records

__all__ = ["unit_table"]


def unit_table(
    source: Records | Journeys,
    assignment: Mapping[str, str],
    *,
    unit: str = "account",
) -> dict[str, NDArray[Any]]:
    """One row per assigned unit: its arm, whether it converted and its converted value.

    Parameters
    ----------
    source : Records or Journeys
        From records: a unit is an account, it converts when it has a won deal, and its value is
        the sum of its won deals' values. From journeys: a journey belongs to the unit of its
        first touch's ``unit`` column, and a unit's value is the sum of its converting journeys'.
    assignment : mapping of unit ID to arm
        E.g. an :class:`Assignment`. Every assigned unit gets a row, including units the source
        has never seen (they did not convert: holding them out is part of the experiment);
        units outside the assignment are not part of the experiment and are left out.
    unit : str
        The journeys' column that identifies the unit (``"account"`` or ``"buyer"``); records
        support ``"account"`` only.

    Returns
    -------
    dict of str to array
        ``unit``, ``arm``, ``converted`` and ``value``, ready for :func:`analyze`; from records
        also ``segment``, the account's segment ("" if none): a covariate known before the test.

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> from journeykit.experiments import unit_table
    >>> records = example_records()
    >>> ids = [a.id for a in records.accounts]
    >>> table = unit_table(records, dict.fromkeys(ids, "treatment"))
    >>> sorted(table), int(table["converted"].sum()), float(table["value"].sum())
    (['arm', 'converted', 'segment', 'unit', 'value'], 1, 48000.0)
    """
    if isinstance(assignment, Assignment):  # columnar already: no per-unit look-ups
        ids, arms = assignment.units, assignment.arm
    else:
        ids = np.asarray(list(assignment), dtype=str)
        arms = np.asarray([assignment[u] for u in ids.tolist()], dtype=str)
    index = {u: i for i, u in enumerate(ids.tolist())}
    value = np.zeros(ids.size)
    won = np.zeros(ids.size, dtype=bool)
    extra: dict[str, NDArray[Any]] = {}
    if isinstance(source, Records):
        if unit != "account":
            raise ValidationError(
                [Problem("unit_table", "unit", f"records support 'account' only (got {unit!r})")]
            )
        for deal in source.deals:
            i = index.get(deal.account) if deal.account is not None else None
            if i is not None and deal.outcome is Outcome.WON:
                won[i] = True
                value[i] += deal.value
        segment = np.full(ids.size, "", dtype=object)
        for account in source.accounts:
            i = index.get(account.id)
            if i is not None:
                segment[i] = account.segment or ""
        extra["segment"] = segment.astype(str)
    elif isinstance(source, Journeys):
        column = source.column(unit)
        first = source.offsets[:-1]
        has = source.lengths > 0
        codes = np.full(source.n_journeys, -1, dtype=np.int64)
        codes[has] = column.codes[first[has]]
        label_row = np.array([index.get(lab, -1) for lab in column.labels] + [-1])
        row = label_row[codes]  # code -1 picks the trailing -1
        hit = (row >= 0) & source.converting
        np.add.at(value, row[hit], source.value[hit])
        won[row[hit]] = True
    else:
        raise ValidationError(
            [Problem("unit_table", "source", f"expected Records or Journeys, got {type(source)}")]
        )
    return {"unit": ids, "arm": arms, "converted": won, "value": value, **extra}
