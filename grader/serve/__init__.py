"""`grader serve OUT`: marking in the browser, over the gradebook that `grade` left in OUT.

A local web application (Starlette under uvicorn, an optional extra: `pip install
'grader[serve]'`): the class page and every student's report, live; marking question by
question with the keyboard (or a grid of short answers), alike answers marked together; and
regrades of any automatic test with a reason. Marks go to the gradebook's marks table the moment
they are saved, the table `grade --manual` fills, so re-grading never overwrites them; reports,
results.json and exports show them without grading again.

Importing this package imports neither Starlette nor uvicorn: `missing_stack` says whether they
are there.
"""

from .launch import INSTALL, Server, missing_stack, serve

__all__ = ["INSTALL", "Server", "missing_stack", "serve"]
