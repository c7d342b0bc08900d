"""Bringing assignments written for nbgrader or otter-grader into the grader.

`grader import nbgrader SOURCE.ipynb --out DIR` and `grader import otter MASTER.ipynb --out DIR`
write an exercise folder (`grader.importers.convert`). A test whose assertions compare the
student's values is converted: the student's calls run in their process, the comparisons in the
grading process against what the instructor's solution gave, so a student who rebinds
`np.allclose` in their notebook changes nothing. Other tests run their code in the student's
process, as the original tools do, and are named as such.

Nothing heavy is imported here: `grader.checks` imports `grader.importers.judge` to know the
check kind imported tests use.
"""
