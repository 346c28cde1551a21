"""Threads chosen before every model call from the cores other work leaves free (app/llm/cores.py).

Made-up readings stand in for /proc: a clock, the machine's CPU seconds and runnable tasks,
and this process's own CPU seconds and running threads. No timing asserts.
"""

from __future__ import annotations

from app.llm.cores import ThreadChooser, free_cores


class Machine:
    """A fake 2-core machine: advance time, say who used how much CPU and who is runnable now."""

    def __init__(self):
        self.now, self.all_cpu, self.own_cpu, self.runnable, self.own_running = 100.0, 1000.0, 5.0, 1, 1

    def run(self, seconds: float, *, ours: float = 0.0, others: float = 0.0, runnable_others: int = 0):
        self.now += seconds
        self.own_cpu += ours * seconds
        self.all_cpu += (ours + others) * seconds
        self.runnable = self.own_running + runnable_others

    def chooser(self, fixed=None, fallback=lambda: 2):
        return ThreadChooser(fixed, cores=lambda: 2, machine=lambda: (self.all_cpu, self.runnable),
                             own=lambda: (self.own_cpu, self.own_running), clock=lambda: self.now, fallback=fallback)


def test_free_cores():
    assert [free_cores(2, busy) for busy in (0.0, 0.4, 0.6, 1.0, 1.6, 5.0)] == [2, 2, 1, 1, 1, 1]
    assert free_cores(8, 2.2) == 6


def test_idle_machine_gets_all_cores():
    m = Machine()
    choose = m.chooser()
    m.run(1.0)
    assert choose() == 2


def test_our_own_busy_threads_do_not_count_as_other_work():
    m = Machine()
    choose = m.chooser()
    m.run(5.0, ours=2.0)  # our previous call kept both cores busy
    assert choose() == 2


def test_another_process_using_a_core_leaves_one_thread():
    m = Machine()
    choose = m.chooser()
    m.run(2.0, ours=1.0, others=1.0)
    assert choose() == 1


def test_work_starved_by_us_still_counts_when_it_is_runnable_now():
    m = Machine()
    choose = m.chooser()
    m.run(2.0, ours=1.9, others=0.1, runnable_others=3)  # they barely ran, but they are waiting
    assert choose() == 1


def test_the_choice_follows_the_load_from_call_to_call():
    m = Machine()
    choose = m.chooser()
    m.run(2.0, others=1.5, runnable_others=1)
    assert choose() == 1
    m.run(3.0, ours=1.0)  # the other work has finished
    assert choose() == 2


def test_too_short_a_window_keeps_the_previous_choice():
    m = Machine()
    choose = m.chooser()
    m.run(1.0, others=1.0, runnable_others=1)
    assert choose() == 1
    m.run(0.1)  # a second call right away: no new reading
    assert choose() == 1


def test_a_fixed_setting_is_used_as_is():
    m = Machine()
    choose = m.chooser(fixed=3)
    m.run(1.0, others=2.0, runnable_others=4)
    assert choose() == 3


def test_without_proc_the_load_average_decides():
    choose = ThreadChooser(None, machine=lambda: None, fallback=lambda: 1)
    assert choose() == 1
