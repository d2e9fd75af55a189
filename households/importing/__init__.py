"""Importing the register from .xlsx or .csv: read → map columns → check → dry run → write.

Each data row is one person. Rows are grouped into households by the 户编号 column when the
file has one, otherwise by a stable key made from community, householder and address, so that
importing the same file again updates instead of duplicating. Blank cells never erase what the
register already holds: an import adds and corrects, it does not delete.

Every refused row is kept with its row number, column and reason, and can be downloaded as an
.xlsx of the rejected rows (with a reason column) to be fixed and imported again.
"""

from .base import ImportFileError, Outcome, Rejected, Table
from .checking import check_rows
from .limits import Limits
from .locks import ImportBusy, RegisterChanged, import_lock
from .reading import auto_mapping, mapping_from_names, mapping_problems, read_table
from .workbooks import rejected_workbook, template_workbook
from .writing import import_file, import_table, run_import, run_locked

__all__ = [
    "ImportBusy",
    "ImportFileError",
    "Limits",
    "Outcome",
    "RegisterChanged",
    "Rejected",
    "Table",
    "auto_mapping",
    "check_rows",
    "import_file",
    "import_lock",
    "import_table",
    "mapping_from_names",
    "mapping_problems",
    "read_table",
    "rejected_workbook",
    "run_import",
    "run_locked",
    "template_workbook",
]
