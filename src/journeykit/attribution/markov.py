"""Exact Markov-chain attribution of any order: absorbing-chain solves, never simulation.

The chain has a START state, one state per k-gram of channels (the last ``order`` channels
visited; shorter at a journey's start), and two absorbing states, CONVERSION and NULL. Transition
probabilities come from all journeys, converting and not, weighted by their conversions and nulls.
The conversion probability from START is one sparse linear solve, ``(I - Q) x = r``; the removal
effect of a channel is ``1 - p_without / p``, where removing the channel redirects every transition
into a state that contains it to NULL (the same as deleting those states from the system).

Consecutive repeats of a channel are one visit. A self-loop only delays absorption, so it never
changes an order-1 result; collapsing repeats keeps that true for higher orders too.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit import budget
from journeykit._choices import choose
from journeykit.attribution._allocation import allocate, global_totals
from journeykit.attribution._paths import channel_totals, state_paths
from journeykit.attribution._protocol import Tags
from journeykit.attribution._registry import register
from journeykit.attribution._shares import factorize, sum_by
from journeykit.errors import ModelError, NotFoundError
from journeykit.journeys import Journeys

if TYPE_CHECKING:  # scipy is imported when a chain is solved: `import journeykit` stays light
    import scipy.sparse as sp

__all__ = ["FittedMarkov", "Markov", "MarkovStats", "TransitionTable", "state_name"]

Allocation = Literal["global", "journey"]
_DENSE_UP_TO = 512  # states: a dense solve is faster below this
START, CONVERSION, NULL = "START", "CONVERSION", "NULL"


def _order(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"Markov: order must be a whole number >= 1 (got {value!r})"
        raise ModelError(msg)
    budget.check("Markov", "order", value, "max_markov_order", error=ModelError)


def _allocation(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    choose(value, Allocation, "allocation", owner=type(instance).__name__, error=ModelError)


_SLICE_TOUCHES: Final = 1 << 20  # touches counted at once by MarkovStats.of


@attrs.frozen(eq=False)
class MarkovStats:
    """Mergeable sufficient statistics of a Markov chain over some journeys.

    States are k-grams of channel labels, so statistics of different chunks (with different channel
    codes) merge exactly. Index 0 of the transient states is START.
    """

    order: int
    states: tuple[tuple[str, ...], ...]  # state i + 1 is states[i]
    edge_from: NDArray[np.int64]
    edge_to: NDArray[np.int64]
    edge_weight: NDArray[np.float64]
    to_conversion: NDArray[np.float64]  # per transient state (START first)
    to_null: NDArray[np.float64]
    to_value: NDArray[np.float64]
    channels: tuple[str, ...]
    channel_conversions: NDArray[np.float64]
    channel_value: NDArray[np.float64]

    @classmethod
    def of(cls, journeys: Journeys, order: int) -> MarkovStats:
        """The statistics of ``journeys`` for a chain of ``order``.

        Large inputs are counted in slices of whole journeys and merged (exactly the same counts),
        so the per-visit arrays never exceed a slice.
        """
        if journeys.n_touches <= _SLICE_TOUCHES:
            return cls._of(journeys, order)
        cuts = np.searchsorted(
            journeys.offsets, np.arange(_SLICE_TOUCHES, journeys.n_touches, _SLICE_TOUCHES)
        )
        edges = np.concatenate([[0], cuts, [journeys.n_journeys]])
        # sorted already: drop repeats (np.unique would import numpy.ma, 0.03 s of a command)
        edges = edges[np.concatenate([[True], np.diff(edges) > 0])]
        parts = (
            cls._of(journeys.select(np.arange(a, b)), order)
            for a, b in itertools.pairwise(edges.tolist())
        )
        return functools.reduce(MarkovStats.merge, parts)

    @classmethod
    def _of(cls, journeys: Journeys, order: int) -> MarkovStats:
        paths = state_paths(journeys, order)
        size = len(paths.state_labels) + 1  # transient states, START first
        lengths = np.diff(paths.visit_offsets)
        nonempty = np.flatnonzero(lengths > 0)
        weight = (journeys.conversions + journeys.nulls)[nonempty]
        first = paths.visit_offsets[:-1][nonempty]
        last_state = paths.state[paths.visit_offsets[1:][nonempty] - 1].astype(np.int64) + 1
        # Edge keys source * size + target: the moves out of START, then the moves between
        # consecutive visits of a journey (journey order, so each journey's weight repeats once
        # per move). Keys are built in place in the narrowest safe type: visits dominate memory.
        wide = np.dtype(np.int64 if size * size >= 2**31 else np.int32)
        state: NDArray[np.signedinteger[Any]] = paths.state.astype(wide)
        state += 1
        move = np.ones(state.size, dtype=np.bool_)
        move[first] = False  # the first visit of a journey is entered from START
        pairs = state[:-1] * np.asarray(size, dtype=wide)
        pairs += state[1:]
        keys = np.concatenate([state[first], pairs[move[1:]]])
        del pairs, move, state
        weights = np.concatenate([weight, np.repeat(weight, lengths[nonempty] - 1)])
        distinct, edge_weight = _sum_edges(keys, weights, size * size)
        del keys, weights
        conversions, value = channel_totals(journeys)
        return cls(
            order=order,
            states=paths.state_labels,
            edge_from=distinct // size,
            edge_to=distinct % size,
            edge_weight=edge_weight,
            to_conversion=sum_by(last_state, journeys.conversions[nonempty], size),
            to_null=sum_by(last_state, journeys.nulls[nonempty], size),
            to_value=sum_by(last_state, journeys.value[nonempty], size),
            channels=tuple(journeys.channel.labels),
            channel_conversions=conversions,
            channel_value=value,
        )

    def compact(self) -> MarkovStats:
        """The same statistics with duplicate edges summed (smaller, order-independent)."""
        size = len(self.states) + 1
        keys, inverse, _ = factorize(self.edge_from * size + self.edge_to)
        return attrs.evolve(
            self,
            edge_from=keys // size,
            edge_to=keys % size,
            edge_weight=sum_by(inverse.ravel(), self.edge_weight, keys.size),
        )

    def merge(self, other: MarkovStats) -> MarkovStats:
        """The statistics of both chunks together, exactly as if computed at once."""
        if other.order != self.order:
            msg = f"cannot merge Markov statistics of order {self.order} and {other.order}"
            raise ModelError(msg)
        states = tuple(sorted(set(self.states) | set(other.states)))
        channels = tuple(sorted(set(self.channels) | set(other.channels)))
        parts = [_recode(s, states, channels) for s in (self, other)]
        size = len(states) + 1

        def moved(vector: str, *, by_channel: bool) -> NDArray[np.float64]:
            # both parts' per-state (or per-channel) vectors, re-indexed and summed
            total = np.zeros(len(channels) if by_channel else size)
            for stats, state_at, channel_at in parts:
                at = channel_at if by_channel else state_at
                total += np.bincount(at, weights=getattr(stats, vector), minlength=total.size)
            return total

        return MarkovStats(
            order=self.order,
            states=states,
            edge_from=np.concatenate([p[0].edge_from for p in parts]),
            edge_to=np.concatenate([p[0].edge_to for p in parts]),
            edge_weight=np.concatenate([p[0].edge_weight for p in parts]),
            to_conversion=moved("to_conversion", by_channel=False),
            to_null=moved("to_null", by_channel=False),
            to_value=moved("to_value", by_channel=False),
            channels=channels,
            channel_conversions=moved("channel_conversions", by_channel=True),
            channel_value=moved("channel_value", by_channel=True),
        ).compact()


def _sum_edges(
    keys: NDArray[np.integer[Any]], weights: NDArray[np.float64], n_keys: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The distinct edge keys (sorted) and their summed weights.

    Few possible keys (low orders): two bincounts, no per-move index array. Otherwise the keys
    are factorized.
    """
    if n_keys <= max(4 * keys.size, 1 << 16):
        present = np.flatnonzero(np.bincount(keys, minlength=n_keys))
        return present, sum_by(keys, weights, n_keys)[present]
    distinct, inverse, _ = factorize(keys)
    return distinct, sum_by(inverse, weights, distinct.size)


def _recode(
    stats: MarkovStats, states: tuple[tuple[str, ...], ...], channels: tuple[str, ...]
) -> tuple[MarkovStats, NDArray[np.int64], NDArray[np.int64]]:
    """Stats with state indices in ``states``, and where each state and channel moved to."""
    state_index = {s: i + 1 for i, s in enumerate(states)}
    lookup = np.array([0] + [state_index[s] for s in stats.states], dtype=np.int64)
    moved = attrs.evolve(stats, edge_from=lookup[stats.edge_from], edge_to=lookup[stats.edge_to])
    channel_index = {c: i for i, c in enumerate(channels)}
    columns = np.array([channel_index[c] for c in stats.channels], dtype=np.int64)
    return moved, lookup, columns


@attrs.frozen(eq=False)
class TransitionTable:
    """The fitted transition probabilities as a labelled sparse matrix.

    Row and column labels are ``START``, the states (``"a"``, or ``"a>b"`` for k-grams, named
    by :func:`state_name` so no channel label collides with another state), ``CONVERSION`` and
    ``NULL``. :attr:`counts` holds the weighted number of journeys that made
    each move (conversions plus nulls); :attr:`matrix` each row's counts over the row's total.
    """

    labels: tuple[str, ...]
    # The non-zero moves, sorted by (row, column): numpy only, so a small chain is fitted and
    # solved without importing scipy; the sparse matrices are built when first asked for.
    _rows: NDArray[np.int64] = attrs.field(repr=False)
    _columns: NDArray[np.int64] = attrs.field(repr=False)
    _probabilities: NDArray[np.float64] = attrs.field(repr=False)
    _counts: NDArray[np.float64] = attrs.field(repr=False)

    def moves(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Every non-zero move as arrays: source rows, target columns and probabilities."""
        return self._rows, self._columns, self._probabilities

    @functools.cached_property
    def matrix(self) -> sp.csr_matrix:
        """The probabilities as a sparse matrix (rows and columns in :attr:`labels` order)."""
        return self._sparse(self._probabilities)

    @functools.cached_property
    def counts(self) -> sp.csr_matrix:
        """The weighted moves behind each probability, same sparsity as :attr:`matrix`."""
        return self._sparse(self._counts)

    def _sparse(self, data: NDArray[np.float64]) -> sp.csr_matrix:
        import scipy.sparse as sp  # noqa: PLC0415  # heavy: only when a matrix is asked for

        shape = (len(self.labels), len(self.labels))
        return sp.csr_matrix((data, (self._rows, self._columns)), shape=shape)

    def probability(self, source: str, target: str) -> float:
        """The probability of moving from ``source`` to ``target``."""
        width = len(self.labels)
        missing = [label for label in (source, target) if label not in self.labels]
        if missing:
            msg = f"{missing[0]!r} is not a state of this chain (its labels: {self.labels})"
            raise NotFoundError(msg)
        key = self.labels.index(source) * width + self.labels.index(target)
        keys = self._rows * width + self._columns  # sorted, as the moves are
        at = int(np.searchsorted(keys, key))
        return float(self._probabilities[at]) if at < keys.size and keys[at] == key else 0.0

    def as_dict(self) -> dict[str, float]:
        """Every non-zero transition as ``{"a>b": probability}`` (``>`` joins the two states)."""
        return {
            f"{self.labels[i]}>{self.labels[j]}": float(v)
            for i, j, v in zip(
                self._rows.tolist(), self._columns.tolist(), self._probabilities.tolist(),
                strict=True,
            )
            if v
        }  # fmt: skip

    def to_frame(self, backend: Literal["pandas", "polars", "pyarrow"] = "pandas") -> Any:
        """One row per non-zero transition: ``source``, ``target``, ``probability``."""
        from journeykit._frames import to_frame  # noqa: PLC0415

        data: dict[str, Any] = {
            "source": [self.labels[i] for i in self._rows.tolist()],
            "target": [self.labels[j] for j in self._columns.tolist()],
            "probability": self._probabilities,
        }
        return to_frame(data, backend)


_RESERVED = frozenset({START, CONVERSION, NULL})


def state_name(state: tuple[str, ...]) -> str:
    r"""A state's label: its channels joined by ``>``, never equal to another state's label.

    Inside a channel a backslash becomes ``\\`` and a ``>`` becomes ``\>``, so the joined
    k-gram splits back one way only (a channel ``"a>b"`` is not the state ``("a", "b")``); a
    label that would read ``START``, ``CONVERSION`` or ``NULL`` gets a leading backslash, so a
    channel can never become the chain's start or absorbing states. Plain names stay as they are.

    Examples
    --------
    >>> from journeykit.attribution.markov import state_name
    >>> print(state_name(("search", "email")), state_name(("a>b",)), state_name(("START",)))
    search>email a\>b \START
    """
    joined = ">".join(c.replace("\\", "\\\\").replace(">", "\\>") for c in state)
    return "\\" + joined if joined in _RESERVED else joined


@attrs.frozen(eq=False)
class FittedMarkov:
    """A fitted Markov chain: what it learned, and per-touch shares.

    Attributes
    ----------
    conversion_probability : float
        P(CONVERSION) from START.
    expected_value : float
        Expected converted value per journey (value-weighted chain).
    removal_effects, value_removal_effects : dict of str to float
        ``1 - p_without_channel / p`` for each channel, in the conversion and the value chain.
    transitions : TransitionTable
    """

    spec: Markov
    stats: MarkovStats
    conversion_probability: float
    expected_value: float
    removal_effects: dict[str, float]
    value_removal_effects: dict[str, float]
    transitions: TransitionTable
    _system: tuple[Any, NDArray[np.float64], NDArray[np.float64]] = attrs.field(repr=False)

    @property
    def channel_credit(self) -> dict[str, float]:
        """Each channel's total credited conversions: total conversions times normalised effects."""
        stats = self.stats
        total = float(stats.to_conversion.sum())
        return global_totals(
            self.removal_effects, total, stats.channels, stats.channel_conversions, model="markov"
        )

    @property
    def channel_value_credit(self) -> dict[str, float]:
        """Each channel's total credited value (from the value chain's removal effects)."""
        stats = self.stats
        total = float(stats.to_value.sum())
        return global_totals(
            self.value_removal_effects, total, stats.channels, stats.channel_value, model="markov"
        )

    def removal_effect(self, channels: str | Iterable[str], *, sequence: bool = False) -> float:
        """The removal effect of several channels at once, or of a contiguous sequence.

        ``sequence=True`` removes only the states whose k-gram contains the channels in that order
        (meaningful for ``order >= len(channels)``).
        """
        names = [channels] if isinstance(channels, str) else list(channels)
        removed = [_contains(state, names, sequence=sequence) for state in self.stats.states]
        base = (self.conversion_probability, self.expected_value)
        return _removal_effect(self._system, np.array(removed, dtype=np.bool_), base)[0]

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch for the conversions measure."""
        return self._shares(
            journeys, self.removal_effects, self.channel_credit, self.stats.channel_conversions
        )

    def credit_value(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch for the value measure (from the value-weighted chain)."""
        return self._shares(
            journeys,
            self.value_removal_effects,
            self.channel_value_credit,
            self.stats.channel_value,
        )

    def _shares(
        self,
        journeys: Journeys,
        effects: Mapping[str, float],
        totals: Mapping[str, float],
        denominators: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        return allocate(
            journeys,
            allocation=self.spec.allocation,
            weights=effects,
            totals=totals,
            channels=self.stats.channels,
            denominators=denominators,
        )


def _contains(state: tuple[str, ...], names: list[str], *, sequence: bool) -> bool:
    if not sequence:
        return any(name in state for name in names)
    width = len(names)
    return any(list(state[i : i + width]) == names for i in range(len(state) - width + 1))


def _solve(
    system: tuple[Any, NDArray[np.float64], NDArray[np.float64]], keep: NDArray[np.bool_]
) -> tuple[float, float]:
    """Absorption into CONVERSION (probability, expected value) from START, on the kept states."""
    matrix, reward, value_reward = system
    kept = np.flatnonzero(keep)
    if not np.any(reward[kept]) and not np.any(value_reward[kept]):
        return 0.0, 0.0
    rhs = np.column_stack([reward[kept], value_reward[kept]])
    if isinstance(matrix, np.ndarray):
        solution = np.linalg.solve(matrix[np.ix_(kept, kept)], rhs)
    else:
        sub = matrix[kept][:, kept].tocsc()
        small = kept.size <= _DENSE_UP_TO
        solution = np.linalg.solve(sub.toarray(), rhs) if small else _sparse_solve(sub, rhs)
    return float(solution[0, 0]), float(solution[0, 1])


def _sparse_solve(matrix: Any, rhs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Solve a large sparse system to machine precision.

    BiCGSTAB converges in a few dozen sparse products on these chains (absorption is quick), so
    it runs first; its answer is accepted only when the residual is at rounding level, and
    otherwise the sparse LU factorisation (states are ordered by k-gram, which keeps its fill-in
    lowest) solves the system directly. Both are deterministic: the same input gives the same bits.
    """
    import scipy.sparse.linalg as spla  # noqa: PLC0415  # heavy: only when a large chain is solved

    solution = np.empty_like(rhs)
    scale = max(1.0, float(np.abs(rhs).max(initial=0.0)))
    for column in range(rhs.shape[1]):
        b = rhs[:, column]
        x, info = spla.bicgstab(matrix, b, rtol=1e-14, atol=0.0, maxiter=20 * matrix.shape[0])
        if info != 0 or float(np.abs(matrix @ x - b).max(initial=0.0)) > 1e-12 * scale:
            return np.asarray(spla.splu(matrix, permc_spec="NATURAL").solve(rhs), dtype=np.float64)
        solution[:, column] = x
    return solution


def _removal_effect(
    system: tuple[Any, NDArray[np.float64], NDArray[np.float64]],
    removed_states: NDArray[np.bool_],
    base: tuple[float, float],
) -> tuple[float, float]:
    """Removal effects (conversions, value) of deleting ``removed_states``, given the base solve."""
    without = _solve(system, np.concatenate([[True], ~removed_states]))
    return (
        1.0 - without[0] / base[0] if base[0] > 0 else 0.0,
        1.0 - without[1] / base[1] if base[1] > 0 else 0.0,
    )


@register("markov")
@attrs.frozen
class Markov:
    """Markov-chain attribution by removal effects, solved exactly, of any ``order``.

    Parameters
    ----------
    order : int
        How many past channels make a state (default 1), at most the budget's
        ``max_markov_order`` (32); a fit whose states or key memory exceed the budget's
        ``max_states`` or ``max_bytes`` is refused before it starts (see :mod:`journeykit.budget`).
    allocation : {"global", "journey"}
        ``"global"`` (default, the literature's and other tools' numbers): channel totals are the
        total conversions (value) times the normalised removal effects of the conversion (value)
        chain, each spread over the channel's touches in converting journeys in proportion to
        those journeys' conversions (value). Totals conserve; a single journey's credit need not
        equal its value. ``"journey"``: each converting journey's credit is split over its
        channels by their removal effects, renormalised within the journey (a channel's share is
        shared by its touches): per-deal credit that conserves per journey.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([
    ...     {"path": "C1 > C2 > C3", "total_conversions": 1, "total_null": 0},
    ...     {"path": "C1", "total_conversions": 0, "total_null": 1},
    ...     {"path": "C2 > C3", "total_conversions": 0, "total_null": 1}])
    >>> fitted = jk.models.get("markov").fit(paths)
    >>> round(fitted.conversion_probability, 12), fitted.removal_effects
    (0.333333333333, {'C1': 0.5, 'C2': 1.0, 'C3': 1.0})
    >>> jk.attribute(paths, "markov").by("channel")
    Credit(channel, conversions: C2=0.4, C3=0.4, C1=0.2)
    """

    order: int = attrs.field(default=1, validator=_order)
    allocation: Allocation = attrs.field(default="global", validator=_allocation)

    @property
    def tags(self) -> Tags:
        """Data-driven; conserves per journey only with ``allocation="journey"``."""
        return Tags(
            conserves="journey" if self.allocation == "journey" else "total", data_driven=True
        )

    def partial_stats(self, journeys: Journeys) -> MarkovStats:
        """Sufficient statistics of one chunk of journeys (merge chunks with ``merge``)."""
        return MarkovStats.of(journeys, self.order)

    def merge(self, left: MarkovStats, right: MarkovStats) -> MarkovStats:
        """Combine two chunks' statistics."""
        return left.merge(right)

    def fit(self, journeys: Journeys) -> FittedMarkov:
        """Fit on all journeys at once."""
        return self.fit_from_stats(self.partial_stats(journeys))

    def fit_from_stats(self, stats: MarkovStats) -> FittedMarkov:
        """Fit from (merged) statistics: exactly the same as fitting on the journeys themselves."""
        states = len(stats.states) + 3
        budget.check("Markov", "order", self.order, "max_states", cost=states, error=ModelError)
        if stats.order != self.order:
            msg = f"these statistics are of order {stats.order}, the model of order {self.order}"
            raise ModelError(msg)
        size = len(stats.states) + 1
        transitions, inverse = _transitions(stats)
        rows, columns, probabilities = transitions.moves()
        into = rows < size  # moves out of transient states
        moving = into & (columns < size)
        reward = np.zeros(size)  # the probability of converting next
        converts = into & (columns == size)
        reward[rows[converts]] = probabilities[converts]
        matrix: Any
        if size <= _DENSE_UP_TO:  # (I - Q) dense: no scipy for the chains most users fit
            matrix = np.eye(size)
            matrix[rows[moving], columns[moving]] -= probabilities[moving]
        else:
            import scipy.sparse as sp  # noqa: PLC0415  # heavy: only when a large chain is built

            moves = transitions.matrix[:size]
            matrix = (sp.identity(size, format="csr") - moves[:, :size]).tocsr()
        system = (matrix, reward, stats.to_value * inverse)
        probability, value = _solve(system, np.ones(size, dtype=np.bool_))
        effects: dict[str, float] = {}
        value_effects: dict[str, float] = {}
        for channel in sorted(stats.channels):
            removed = np.array([channel in state for state in stats.states], dtype=np.bool_)
            effects[channel], value_effects[channel] = _removal_effect(
                system, removed, (probability, value)
            )
        return FittedMarkov(
            spec=self,
            stats=stats,
            conversion_probability=probability,
            expected_value=value,
            removal_effects=effects,
            value_removal_effects=value_effects,
            transitions=transitions,
            system=system,
        )


def _transitions(stats: MarkovStats) -> tuple[TransitionTable, NDArray[np.float64]]:
    """The chain's transition counts and probabilities: the one place they are computed.

    Also one over each transient state's outgoing count (0 for a state never left), which the
    value chain's rewards use.
    """
    size = len(stats.states) + 1
    width = size + 2
    transient = np.arange(size)
    rows = np.concatenate([stats.edge_from, transient, transient])
    columns = np.concatenate([stats.edge_to, np.full(size, size), np.full(size, size + 1)])
    weights = np.concatenate([stats.edge_weight, stats.to_conversion, stats.to_null])
    keys, inverse_keys, _ = factorize(rows * width + columns)  # sorted: row by row, as CSR
    counts = sum_by(inverse_keys.ravel(), weights, keys.size)
    kept = counts != 0
    keys, counts = keys[kept], counts[kept]
    rows, columns = keys // width, keys % width
    out = sum_by(rows, counts, width)
    inverse = np.divide(1.0, out, out=np.zeros(width), where=out > 0)
    probabilities = counts * inverse[rows]  # each row's counts times 1 / its total
    labels = (START, *(state_name(s) for s in stats.states), CONVERSION, NULL)
    return TransitionTable(labels, rows, columns, probabilities, counts), inverse[:size]
