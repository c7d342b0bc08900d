"""Working with learning-management systems: reading their bulk downloads, writing their imports.

- `intake`, `names`, `roster`, `archive`: who each downloaded notebook belongs to (Moodle and
  Canvas file names, or a roster CSV), extracted safely from the download zip;
- `moodle`, `canvas`, `gradescope`: grades and feedback in each platform's own format;
- `autograder`: the zip that runs this grader inside Gradescope.

`grader.export` puts the writers behind `grader export`; `grader.intake` puts the readers
behind `grader grade`.
"""

__all__ = ["archive", "autograder", "canvas", "common", "csvsplice", "gradescope", "intake", "moodle", "names",
           "roster"]
