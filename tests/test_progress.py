from __future__ import annotations

from search.index.progress import BuildProgress


def test_rate_and_time_left_follow_the_clock() -> None:
    now = [100.0]
    progress = BuildProgress(clock=lambda: now[0])
    assert not progress.status().building
    progress.start()
    progress.documents(2, 5)
    assert progress.status().phase == "reading" and progress.status().documents_done == 2
    progress(0, 400)  # embedding starts: the clock starts
    assert progress.status().eta_seconds is None
    now[0] += 10.0
    progress(100, 400)
    s = progress.status()
    assert (s.per_second, s.eta_seconds, s.documents_total) == (10.0, 30.0, 5)
    now[0] += 30.0
    progress(400, 400)
    assert progress.status().eta_seconds == 0.0
    progress.finish()
    assert not progress.status().building and progress.status().total == 0
