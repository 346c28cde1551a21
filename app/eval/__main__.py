"""`python -m app.eval`: the dev eval (see app/eval/answers.py)."""

from app.eval.answers import main

main()
