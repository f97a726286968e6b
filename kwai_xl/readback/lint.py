"""Formula rules every generated workbook obeys (WORKBOOK.md): safe functions, no typed-in figures.

Functions must compute the same in Excel 2010+, LibreOffice 7.4 and Gnumeric;
numbers inside formulas may only be 0 or 1 (every other figure is an input cell).
A function that takes one value, given a range outside an array formula, is
evaluated element-wise by some engines and by implicit intersection by others
(Gnumeric reads ``SUMPRODUCT(--ISERROR(A1:B9))`` as one cell): such calls are
refused; comparisons of ranges inside SUMPRODUCT compute the same everywhere.
"""

from dataclasses import dataclass

from openpyxl.formula.tokenizer import Token, Tokenizer

from ..workbook.build import LANG_PROPERTY, LANGUAGES, udf_sheet_titles

SAFE_FUNCTIONS = frozenset({
    "ABS", "AND", "AVERAGE", "CHOOSE", "COUNT", "COUNTIF", "IF", "INDEX", "ISERROR", "ISNUMBER", "MATCH", "MAX",
    "MEDIAN", "MIN", "OR", "RANK", "ROWS", "SUM", "SUMPRODUCT",
})
ALLOWED_CONSTANTS = frozenset({"0", "1"})
SCALAR_FUNCTIONS = frozenset({"ABS", "ISERROR", "ISNUMBER", "IF", "AND", "OR"})
"""Functions of one value: given a range (outside SUM/MIN/… that take ranges) they behave differently across engines."""


@dataclass(frozen=True)
class FormulaProblem:
    where: str
    formula: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem} in {self.formula}"


UDF_PREFIX = "KWAI_"


def formula_problems(formula: str, allow_udfs: bool = False) -> list[str]:
    """What breaks the rules in one formula: unsafe functions and constants other than 0 and 1.

    ``allow_udfs`` admits kwai-xl's own functions (the UDF sheets only, known by their sheet key).
    """
    problems = []
    calls = []  # the functions whose parentheses are open
    for token in Tokenizer(formula).items:
        if token.type == Token.FUNC and token.subtype == Token.OPEN:
            name = token.value[:-1].upper()
            calls.append(name)
            if name not in SAFE_FUNCTIONS and not (allow_udfs and name.startswith(UDF_PREFIX)):
                problems.append(f"function {name} is not on the allow-list")
        elif token.type == Token.FUNC and token.subtype == Token.CLOSE and calls:
            calls.pop()
        elif token.type == Token.OPERAND and token.subtype == Token.NUMBER and token.value not in ALLOWED_CONSTANTS:
            problems.append(f"constant {token.value} typed into a formula")
        elif token.type == Token.OPERAND and token.subtype == Token.RANGE and calls and calls[-1] in SCALAR_FUNCTIONS \
                and _is_range(token.value):
            problems.append(f"{calls[-1]} given the range {token.value} (engines differ: element-wise or one cell)")
    return problems


def _is_range(ref: str) -> bool:
    """Whether a reference token spans more than one cell (A1:B2, a sheet's used range)."""
    return ":" in ref


def lint_workbook(wb) -> list[FormulaProblem]:
    """Every rule broken by any formula of the openpyxl workbook ``wb``."""
    found = []
    lang = next((p.value for p in wb.custom_doc_props if p.name == LANG_PROPERTY), "en")
    udf_sheets = udf_sheet_titles(lang if lang in LANGUAGES else "en")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    for problem in formula_problems(cell.value, allow_udfs=ws.title in udf_sheets):
                        found.append(FormulaProblem(f"{ws.title}!{cell.coordinate}", cell.value, problem))
    return found
