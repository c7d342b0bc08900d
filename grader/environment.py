"""What a failed cell's error says of the grading environment: a module, a data file or a numpy 1
name that is not there, or a given cell that fails by itself; and how each is told, to the
instructor (what happened and the fix) and to the student (that it was not their mistake).

Errors are read from the sandbox's plain results: the exception's type and message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .i18n import Text
from .requirements import DISTRIBUTIONS, SupportFiles, install_command, installed
from .results import EnvironmentIssue
from .sandbox import ErrorInfo
from .sandbox.isolation import BLOCKED_PACKAGES

if TYPE_CHECKING:
    from .instructor import Context

RAISES = "raises-exception"
_NO_MODULE = re.compile(r"No module named '([^']+)'")
_FILE = (re.compile(r"No such file or directory: '([^']+)'"), re.compile(r"\bname = '([^']+)'"),
         re.compile(r"\[Errno 2\][^']*'([^']+)'"))
_NUMPY_ALIAS = (re.compile(r"module 'numpy' has no attribute '(\w+)'"),
                re.compile(r"`np\.(\w+)` was removed in the NumPy 2\.0 release"))


def _short(message: str, limit: int = 160) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


def shipped(module: str, support: SupportFiles) -> bool:
    """Whether the exercise's files/ folder holds the module `module` (a.b: a/b.py or a/b/)."""
    path = module.replace(".", "/")
    return f"{path}.py" in support.paths or any(p.startswith(path + "/") for p in support.paths)


def module_problem(error: ErrorInfo, given: bool, context: Context, index: int) -> EnvironmentIssue | None:
    """A module that could not be imported, when that is the environment's doing: one installed
    here or shipped in files/ (whoever imported it), or one the exercise requires, ships or
    imports in a given cell, or any a given cell imports."""
    if error.type not in ("ModuleNotFoundError", "ImportError"):
        return None
    match = _NO_MODULE.search(error.message)
    if match is None:
        return None
    module = match.group(1)
    top = module.split(".")[0]
    if top in BLOCKED_PACKAGES:
        return None  # the grader's own code and references are kept from notebooks on purpose
    if installed(module) or shipped(module, context.support):
        # There, yet the notebook could not import it: the environment's, whoever imported it.
        what = Text(f"the module `{module}` is installed where grading runs but could not be imported in the notebook",
                    f"el módulo `{module}` está instalado donde se corrige pero no se pudo importar en el cuaderno")
        if shipped(module, context.support):
            what = Text(f"the helper module `{module}` is in the exercise's files/ folder but could not be imported",
                        f"el módulo auxiliar `{module}` está en la carpeta files/ del ejercicio pero no se pudo importar")
        fix = Text("The notebook does not see what this environment has: `grader doctor` shows what it can reach.",
                   "El cuaderno no ve lo que este entorno tiene: `grader doctor` muestra a qué llega.")
        return EnvironmentIssue(index + 1, "module", module, what, fix, given)
    if "." in module and (installed(top) or top in context.support.modules):
        if not given:
            return None  # a part of a package that is there: a name the student got wrong
        what = Text(f"`{module}` is not part of the `{top}` found where grading runs",
                    f"`{module}` no forma parte del `{top}` que hay donde se corrige")
        fix = Text(f"The given cell expects another version of {top}: install the one the assignment was written "
                   "for, or update the cell in solution.ipynb.",
                   f"La celda dada espera otra versión de {top}: instala aquella para la que se escribió la tarea, "
                   "o actualiza la celda en solution.ipynb.")
        return EnvironmentIssue(index + 1, "module", module, what, fix, given)
    if not (given or top in context.requires or top in context.support.modules or top in context.template.imports):
        return None  # the student's own import of something the course never offered
    if top in context.requires or top in DISTRIBUTIONS or module in DISTRIBUTIONS:
        what = Text(f"the package `{module}` is not installed", f"el paquete `{module}` no está instalado")
        fix = Text(f"Install it: {install_command([module])}", f"Instálalo: {install_command([module])}")
    else:
        where = str(Path(context.folder or "<exercise>") / "files" / f"{module.replace('.', '/')}.py")
        what = Text(f"the helper module `{module}` was not found", f"no se encontró el módulo auxiliar `{module}`")
        fix = Text(f"Put it in the exercise's files/ folder ({where}); if it is a package, install it: "
                   f"{install_command([module])}",
                   f"Ponlo en la carpeta files/ del ejercicio ({where}); si es un paquete, instálalo: "
                   f"{install_command([module])}")
    return EnvironmentIssue(index + 1, "module", module, what, fix, given)


def file_problem(error: ErrorInfo, given: bool, context: Context, index: int) -> EnvironmentIssue | None:
    """A file that could not be opened, when that is the environment's doing: one shipped in
    files/, one a given cell or a helper names, or any a given cell opens."""
    if error.type not in ("FileNotFoundError", "OSError"):
        return None
    path = next((m.group(1) for pattern in _FILE for m in [pattern.search(error.message)] if m), None)
    if path is None:
        return None
    relative = path.removeprefix("./")
    shipped = relative in context.support.paths
    expected = shipped or relative in context.template.strings or relative in context.support.strings
    if not (given or expected):
        return None  # a path of the student's own making
    if shipped:
        what = Text(f"the data file `{relative}` is in the exercise's files/ folder but the notebook could not open it",
                    f"el archivo de datos `{relative}` está en la carpeta files/ del ejercicio pero el cuaderno "
                    "no pudo abrirlo")
        fix = Text("The notebook does not see the exercise's files/ folder: `grader doctor` shows what it can reach.",
                   "El cuaderno no ve la carpeta files/ del ejercicio: `grader doctor` muestra a qué llega.")
    else:
        where = str(Path(context.folder or "<exercise>") / "files" / relative)
        what = Text(f"the data file `{relative}` was not found", f"no se encontró el archivo de datos `{relative}`")
        fix = Text(f"Put it in the exercise's files/ folder, at {where}: the notebook finds it in its working folder.",
                   f"Ponlo en la carpeta files/ del ejercicio, en {where}: el cuaderno lo encuentra en su carpeta "
                   "de trabajo.")
    return EnvironmentIssue(index + 1, "file", relative, what, fix, given)


def numpy_problem(error: ErrorInfo, context: Context, index: int) -> EnvironmentIssue | None:
    """A name numpy 2 removed, used by a given cell."""
    if error.type != "AttributeError":
        return None
    alias = next((m.group(1) for pattern in _NUMPY_ALIAS for m in [pattern.search(error.message)] if m), None)
    if alias is None:
        return None
    what = Text(f"numpy 2 no longer has `np.{alias}`, which this given cell uses",
                f"numpy 2 ya no tiene `np.{alias}`, que usa esta celda dada")
    if "numpy1" in context.compat:
        fix = Text("The exercise asks for numpy 1's aliases, yet this one was missing: `grader doctor` shows the "
                   "environment.", "El ejercicio pide los alias de numpy 1 y aun así faltó este: `grader doctor` "
                   "muestra el entorno.")
    else:
        fix = Text('Add compat=("numpy1",) to the Exercise in exercise.py: the notebook then finds numpy 1\'s aliases.',
                   'Añade compat=("numpy1",) al Exercise de exercise.py: el cuaderno encontrará los alias de numpy 1.')
    return EnvironmentIssue(index + 1, "numpy1", f"np.{alias}", what, fix, True)


def cell_problem(error: ErrorInfo, index: int) -> EnvironmentIssue:
    """A given cell that failed with no student code involved."""
    return EnvironmentIssue(
        index + 1, "cell", error.type,
        Text(f"the given cell {index + 1} raised {error.type}: {_short(error.message)}",
             f"la celda dada {index + 1} lanzó {error.type}: {_short(error.message)}"),
        Text("It fails without any student code involved: run it in the grading environment, or tag it "
             f"`{RAISES}` in solution.ipynb if it is meant to raise.",
             "Falla sin que intervenga código del estudiante: ejecútala en el entorno de corrección, o "
             f"etiquétala `{RAISES}` en solution.ipynb si debe lanzar una excepción."))


def student_note(issue: EnvironmentIssue) -> Text:
    """What the student's report says of an environment problem met in one of their cells."""
    who = Text("This cell, given by your instructor, could not run where notebooks are graded: ",
               "Esta celda, que te dio tu profesor, no pudo ejecutarse donde se corrigen los cuadernos: ") \
        if issue.given else Text("This cell could not run where notebooks are graded: ",
                                 "Esta celda no pudo ejecutarse donde se corrigen los cuadernos: ")
    return who + issue.message + Text(". This is not a mistake of yours; your instructor has been told.",
                                      ". No es un error tuyo; tu profesor ya lo sabe.")


def after_note(cell: int) -> Text:
    return Text(f"This cell could not run because cell {cell} could not, where notebooks are graded. This is not "
                "a mistake of yours; your instructor has been told.",
                f"Esta celda no pudo ejecutarse porque la celda {cell} no pudo, donde se corrigen los cuadernos. "
                "No es un error tuyo; tu profesor ya lo sabe.")
