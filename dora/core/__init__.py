"""The core every layer shares: paths of an install, the warehouse's settings and write lock,
the definition files, the custom API's landing files, publishing and the headline summary.

It imports nothing of the project outside itself; the sources, the dashboard, the orchestration
and the command line import it (README.md, "Development", draws the layers).
"""
