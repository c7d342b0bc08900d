"""Bilingual text: every message a student or instructor reads exists in Spanish and English.

Messages are built once, in both languages, as `Text` values; a report or export picks one.
Templates live in `CATALOGUE` keyed by a dotted name; parameters that are themselves `Text`
are rendered in the same language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")


@dataclass(frozen=True)
class Text:
    en: str
    es: str

    def __call__(self, lang: str) -> str:
        return self.es if lang == "es" else self.en

    def __add__(self, other: Text | str) -> Text:
        other = Text.of(other)
        return Text(self.en + other.en, self.es + other.es)

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "es": self.es}

    @staticmethod
    def of(value: Text | str | dict[str, str] | None) -> Text:
        if isinstance(value, Text):
            return value
        if value is None:
            return Text("", "")
        if isinstance(value, dict):
            en = str(value.get("en", value.get("es", "")))
            return Text(en, str(value.get("es", en)))
        return Text(str(value), str(value))

    @staticmethod
    def join(parts: list[Text], sep: str = " ") -> Text:
        return Text(sep.join(p.en for p in parts if p.en), sep.join(p.es for p in parts if p.es))


def t(key: str, **params: Any) -> Text:
    """The catalogue message `key` in both languages, formatted with `params`."""
    entry = CATALOGUE[key]
    rendered = {}
    for lang in LANGS:
        values = {k: (v(lang) if isinstance(v, Text) else v) for k, v in params.items()}
        rendered[lang] = entry[lang].format(**values)
    return Text(rendered["en"], rendered["es"])


CATALOGUE: dict[str, dict[str, str]] = {
    # Probe outcomes
    "probe.missing": {
        "en": "`{name}` is not defined in your notebook. Define it (with exactly this name) in a code cell.",
        "es": "`{name}` no está definido en tu cuaderno. Defínelo (con exactamente este nombre) en una celda de código.",
    },
    "probe.missing_after_error": {
        "en": "`{name}` is not available because cell {cell}, where it is defined, did not finish ({why}).",
        "es": "`{name}` no está disponible porque la celda {cell}, donde se define, no terminó ({why}).",
    },
    "probe.not_callable": {
        "en": "`{name}` should be a function, but it is a {type}.",
        "es": "`{name}` debería ser una función, pero es un {type}.",
    },
    "probe.error": {
        "en": "Calling `{call}` raised {type}: {message}",
        "es": "Llamar a `{call}` lanzó {type}: {message}",
    },
    "probe.signature": {
        "en": "Calling `{call}` failed: check that `{name}` takes the arguments the statement asks for ({message}).",
        "es": "La llamada `{call}` falló: comprueba que `{name}` recibe los argumentos que pide el enunciado ({message}).",
    },
    "probe.timeout": {
        "en": "`{call}` did not finish within {seconds:g} s (an endless loop, or far too much work).",
        "es": "`{call}` no terminó en {seconds:g} s (un bucle sin fin, o demasiado trabajo).",
    },
    "probe.crashed": {
        "en": "The process running your code ended while `{call}` was running ({why}).",
        "es": "El proceso que ejecutaba tu código terminó mientras se ejecutaba `{call}` ({why}).",
    },
    "probe.unreadable": {
        "en": "What `{call}` returned could not be read back ({why}).",
        "es": "No se pudo leer lo que devolvió `{call}` ({why}).",
    },
    "probe.not_run": {
        "en": "This test could not run because your notebook stopped the grader's process earlier.",
        "es": "Esta prueba no pudo ejecutarse porque tu cuaderno detuvo antes el proceso de corrección.",
    },
    "probe.forbidden": {
        "en": "`{name}` uses {apis}, which this task does not allow: write the computation yourself.",
        "es": "`{name}` usa {apis}, que esta tarea no permite: escribe tú el cálculo.",
    },
    "derivation.missing": {
        "en": "No answer found: assign it to `{name}` as a string (e.g. {name} = \"...\") or a sympy expression, "
              "or write it in LaTeX in a markdown cell tagged `{name}`.",
        "es": "No se encontró la respuesta: asígnala a `{name}` como cadena (p. ej. {name} = \"...\") o expresión "
              "de sympy, o escríbela en LaTeX en una celda markdown con la etiqueta `{name}`.",
    },
    "derivation.wrong_type": {
        "en": "`{name}` should hold your answer as a string or a sympy expression, but it is a {type}.",
        "es": "`{name}` debería contener tu respuesta como cadena o expresión de sympy, pero es un {type}.",
    },
    "derivation.too_long": {
        "en": "Your answer `{name}` is too long to be read ({chars} characters; at most {limit}): write only "
              "the formula.",
        "es": "Tu respuesta `{name}` es demasiado larga para leerla ({chars} caracteres; máximo {limit}): "
              "escribe solo la fórmula.",
    },
    "derivation.too_large": {
        "en": "Your answer `{name}` is too long to be read (at most {limit} characters): write only the formula.",
        "es": "Tu respuesta `{name}` es demasiado larga para leerla (máximo {limit} caracteres): escribe solo "
              "la fórmula.",
    },
    "derivation.unchecked": {
        "en": "Your answer could not be checked (the checker failed); your instructor will review it.",
        "es": "No se pudo comprobar tu respuesta (falló el comprobador); tu profesor la revisará.",
    },
    "choice.type": {
        "en": "Give your answer as letters in a string, e.g. \"b\" (or a list of letters for a multiple answer).",
        "es": "Da tu respuesta como letras en una cadena, p. ej. \"b\" (o una lista de letras si hay varias).",
    },
    "choice.unknown_letter": {
        "en": "`{letter}` is not one of the options (a to {last}).",
        "es": "`{letter}` no es una de las opciones (de la a a la {last}).",
    },
    "choice.one_only": {
        "en": "This question has one right answer; you gave several letters.",
        "es": "Esta pregunta tiene una sola respuesta correcta; diste varias letras.",
    },
    "choice.missing": {
        "en": "No answer: assign the letter(s) to `{name}`, e.g. {name} = \"b\".",
        "es": "Sin respuesta: asigna la(s) letra(s) a `{name}`, p. ej. {name} = \"b\".",
    },
    "choice.right": {"en": "Right.", "es": "Correcto."},
    "choice.partial": {
        "en": "Partly right: {score:g} of {points:g} points for the options you chose.",
        "es": "Parcialmente correcto: {score:g} de {points:g} puntos por las opciones elegidas.",
    },
    "choice.wrong": {"en": "Not the right answer.", "es": "No es la respuesta correcta."},
    "choice.read": {
        "en": "Your answer was read as {letters}; it is marked when your instructor grades.",
        "es": "Tu respuesta se leyó como {letters}; se corrige cuando tu profesor corrige.",
    },
    "choice.order_unknown": {
        "en": "Not marked: the order in which '{student}' was shown the options is not in {file}, so the "
              "letters cannot be read. Your instructor will check which release this notebook came from.",
        "es": "Sin corregir: el orden en que se mostraron las opciones a '{student}' no está en {file}, así que "
              "no se pueden leer las letras. Tu profesor comprobará de qué entrega viene este cuaderno.",
    },
    "choice.order_missing": {
        "en": "Not marked: {file} has no complete order of the options of {question} for '{student}', so the "
              "letters cannot be read. Your instructor will check the release's keys.",
        "es": "Sin corregir: {file} no tiene un orden completo de las opciones de {question} para '{student}', "
              "así que no se pueden leer las letras. Tu profesor revisará las claves de la entrega.",
    },
    "choice.order_needs_keys": {
        "en": "Not marked: this notebook was released with its own order of the options, and it is graded "
              "without the release's keys (grader grade --keys keys.csv).",
        "es": "Sin corregir: este cuaderno se entregó con su propio orden de las opciones y se corrige sin las "
              "claves de la entrega (grader grade --keys keys.csv).",
    },
    "text.missing": {
        "en": "No answer: write it in the markdown cell tagged `{name}`.",
        "es": "Sin respuesta: escríbela en la celda markdown con la etiqueta `{name}`.",
    },
    "text.pending": {
        "en": "Awaiting your instructor's marking ({words} words).",
        "es": "Pendiente de la corrección de tu profesor ({words} palabras).",
    },
    "text.suggestion": {
        "en": "Suggestion (not a grade): {points:g}/{max:g}; mentions {found}; does not mention {missing}.",
        "es": "Sugerencia (no es nota): {points:g}/{max:g}; menciona {found}; no menciona {missing}.",
    },
    "text.marked": {"en": "Marked by your instructor.", "es": "Corregido por tu profesor."},
    "text.regraded": {
        "en": "Regraded by your instructor{reason} (the automatic check gave {score:g} of {max:g}).",
        "es": "Revisado por tu profesor{reason} (la corrección automática dio {score:g} de {max:g}).",
    },
    "probe.typed_in": {
        "en": "`{name}` must compute its result, as the statement asks; it returns numbers typed in ({values}).",
        "es": "`{name}` debe calcular su resultado, como pide el enunciado; devuelve números escritos a mano ({values}).",
    },
    "probe.must_use": {
        "en": "`{name}` must compute its result with {names}, as the statement asks; it does not use it.",
        "es": "`{name}` debe calcular su resultado con {names}, como pide el enunciado; no lo usa.",
    },
    # Comparisons
    "check.type": {
        "en": "returned {got_type}, expected {expected_type}",
        "es": "devolvió {got_type}, se esperaba {expected_type}",
    },
    "check.shape": {
        "en": "returned shape {got}, expected shape {expected}",
        "es": "devolvió forma {got}, se esperaba forma {expected}",
    },
    "check.dtype": {
        "en": "returned values of type {got}, expected {expected} values",
        "es": "devolvió valores de tipo {got}, se esperaban valores {expected}",
    },
    "check.length": {
        "en": "returned {got} items, expected {expected}",
        "es": "devolvió {got} elementos, se esperaban {expected}",
    },
    "check.keys": {
        "en": "returned keys {got}, expected keys {expected}",
        "es": "devolvió las claves {got}, se esperaban {expected}",
    },
    "check.values": {
        "en": "values differ from the expected ones",
        "es": "los valores no coinciden con los esperados",
    },
    "check.values_detail": {
        "en": "{count} of {total} values differ; the largest difference is at {where}: got {got}, expected {expected}",
        "es": "{count} de {total} valores difieren; la mayor diferencia está en {where}: se obtuvo {got}, se esperaba {expected}",
    },
    "check.nonfinite": {
        "en": "the result contains nan or inf where a finite value was expected",
        "es": "el resultado contiene nan o inf donde se esperaba un valor finito",
    },
    "check.nonfinite_detail": {
        "en": "the result has {count} nan/inf value(s), first at {where}",
        "es": "el resultado tiene {count} valor(es) nan/inf, el primero en {where}",
    },
    "check.sums_to": {
        "en": "values along axis {axis} should sum to {target:g}",
        "es": "los valores a lo largo del eje {axis} deberían sumar {target:g}",
    },
    "check.range": {
        "en": "values should lie in [{low:g}, {high:g}]",
        "es": "los valores deberían estar en [{low:g}, {high:g}]",
    },
    "check.equal": {
        "en": "the result is not the expected one",
        "es": "el resultado no es el esperado",
    },
    "check.opaque": {
        "en": "returned an object of type {type}, which is not plain data",
        "es": "devolvió un objeto de tipo {type}, que no son datos simples",
    },
    "check.too_big": {
        "en": "returned something too large to check ({why})",
        "es": "devolvió algo demasiado grande para comprobarlo ({why})",
    },
    "check.in_path": {"en": " (in {path})", "es": " (en {path})"},
    "check.accepted_size1": {
        "en": "{got} where {expected} is expected",
        "es": "{got} donde se esperaba {expected}",
    },
    "check.accepted_extra_keys": {
        "en": "extra keys {keys} (ignored)",
        "es": "claves de más {keys} (ignoradas)",
    },
    "check.accepted": {"en": "Accepted: {notes}.", "es": "Aceptado: {notes}."},
    # Printed output
    "printed.too_few": {
        "en": "printed {got} line(s){which}, expected {expected}",
        "es": "imprimió {got} línea(s){which}, se esperaban {expected}",
    },
    "printed.first_missing": {
        "en": "the first line missing is `{line}`",
        "es": "la primera línea que falta es `{line}`",
    },
    "printed.too_many": {
        "en": "printed {got} line(s){which}, expected only {expected}",
        "es": "imprimió {got} línea(s){which}, se esperaban solo {expected}",
    },
    "printed.first_extra": {
        "en": "the first line of more is `{line}`",
        "es": "la primera línea de más es `{line}`",
    },
    "printed.count": {
        "en": "printed line {line} holds {got} number(s), expected {expected}",
        "es": "la línea impresa {line} tiene {got} número(s), se esperaban {expected}",
    },
    "printed.values": {
        "en": "the numbers printed in line {line} differ from the expected ones",
        "es": "los números impresos en la línea {line} no coinciden con los esperados",
    },
    # Cells and notebooks
    "cell.error": {
        "en": "Cell {cell} raised {type}: {message}",
        "es": "La celda {cell} lanzó {type}: {message}",
    },
    "cell.timeout": {
        "en": "Cell {cell} did not finish within {seconds:g} s and was stopped; the cells after it still ran.",
        "es": "La celda {cell} no terminó en {seconds:g} s y se detuvo; las celdas siguientes sí se ejecutaron.",
    },
    "cell.crashed": {
        "en": "Cell {cell} ended the process running it ({why}); it was skipped and the rest of the notebook re-run.",
        "es": "La celda {cell} terminó el proceso que la ejecutaba ({why}); se omitió y se volvió a ejecutar el resto del cuaderno.",
    },
    "cell.neutralised": {
        "en": "Cell {cell}, line {line}: `{text}` was skipped (shell commands and magics do not run when grading).",
        "es": "Celda {cell}, línea {line}: `{text}` se omitió (los comandos de shell y las magias no se ejecutan al corregir).",
    },
    "why.timeout": {"en": "it ran out of time", "es": "se acabó su tiempo"},
    "why.notebook_timeout": {"en": "the notebook ran out of time", "es": "se acabó el tiempo del cuaderno"},
    "why.memory": {"en": "it ran out of memory", "es": "se quedó sin memoria"},
    "why.exit": {"en": "the process exited with status {code}", "es": "el proceso terminó con estado {code}"},
    "why.signal": {"en": "the process was killed by signal {name}", "es": "el proceso fue terminado por la señal {name}"},
    "why.result_too_large": {"en": "it sent back too much data", "es": "devolvió demasiados datos"},
    "why.protocol": {"en": "it wrote over the grader's channel", "es": "escribió sobre el canal del corrector"},
    "why.error": {"en": "it raised {type}", "es": "lanzó {type}"},
    "why.skipped": {"en": "it was skipped", "es": "se omitió"},
    "why.worker": {"en": "the grading process stopped", "es": "el proceso de corrección se detuvo"},
    # Submissions
    "submission.error": {
        "en": "This notebook could not be graded: {reason}",
        "es": "Este cuaderno no se pudo corregir: {reason}",
    },
    "submission.unknown_exercise": {
        "en": "the notebook does not say which exercise it is (metadata 'grader.exercise'); pass --exercise",
        "es": "el cuaderno no indica de qué ejercicio es (metadatos 'grader.exercise'); usa --exercise",
    },
    "test.hidden_not_run": {
        "en": "{count} hidden test(s) not run (they run when your instructor grades)",
        "es": "{count} prueba(s) oculta(s) sin ejecutar (se ejecutan cuando tu profesor corrige)",
    },
}
