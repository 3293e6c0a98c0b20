"""Data layer: order-book readers, the validated book series, and synthetic books.

The leftmost layer of execopt: it imports only NumPy, pandas, SciPy, tqdm, the standard
library, :mod:`execopt.errors` and the argument checks of :mod:`execopt._validate`.

Loading
    :func:`load_book`: the one entry point of the commands, studies and reports -- a path,
    folder, glob or preset name in; the book and its validation report out; refused when more
    than ``max_drop`` (default :data:`DEFAULT_MAX_DROP`, 1 %) of the rows were dropped.
Readers
    :func:`read_book` (format detection), :func:`read_mbp10` (Databento MBP-10 CSV, both
    layouts), :func:`read_lobster` (LOBSTER order book and messages), :func:`read_dbn`
    (Databento DBN, needs ``pip install execopt[dbn]``).
Containers
    :class:`BookSeries` (immutable, validated), :class:`Trades`, :class:`ValidationReport`.
Synthetic books
    :func:`synthetic_book` with :data:`PRESETS` (CRWV, FROG, SOUN calibrated to published
    statistics), :func:`synthetic_days` (several days as one series),
    :func:`synthetic_book_from_impact` (known quadratic walk cost).
Minute grid
    :mod:`execopt.data.grid`: which minutes a book covers (observed, carried, missing) and
    which session minutes it does not (:meth:`BookSeries.minute_grid`).
Paths
    :func:`data_root` (``EXECOPT_DATA``), :func:`find_data_root`, :func:`frog_day_file`.
"""

from execopt.data.book import BookSeries, Trades
from execopt.data.dbn import read_dbn
from execopt.data.load import DEFAULT_MAX_DROP, PRESET_NAMES, check_drop_share, load_book
from execopt.data.lobster import read_lobster
from execopt.data.mbp10 import read_mbp10
from execopt.data.paths import DATA_ENV, data_root, day_files, find_data_root, frog_day_file
from execopt.data.read import detect_format, read_book
from execopt.data.synthetic import (
    PRESETS,
    SyntheticPreset,
    intraday_shape,
    synthetic_book,
    synthetic_book_from_impact,
    synthetic_days,
)
from execopt.data.validation import ValidationReport, validate_book

__all__ = [
    "DATA_ENV",
    "DEFAULT_MAX_DROP",
    "PRESETS",
    "PRESET_NAMES",
    "BookSeries",
    "SyntheticPreset",
    "Trades",
    "ValidationReport",
    "check_drop_share",
    "data_root",
    "day_files",
    "detect_format",
    "find_data_root",
    "frog_day_file",
    "intraday_shape",
    "load_book",
    "read_book",
    "read_dbn",
    "read_lobster",
    "read_mbp10",
    "synthetic_book",
    "synthetic_book_from_impact",
    "synthetic_days",
    "validate_book",
]
