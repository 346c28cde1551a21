"""`python -m app.eval`: the dev eval (see app/eval/run.py)."""

from app.eval.run import main

main()
