"""The roll-up runs beside the server (storyhouse/worker.py): every few minutes it rolls up
today again, and any day it missed."""

from storyhouse import worker

from . import rollup


@worker.job(every=300)
def stats_rollup() -> None:
    rollup.catch_up()
