"""Picks every option: the three right ones and 'zero-centred' (partial credit, with its feedback)."""
EXPECT = {"fails": ["q04:answer"], "misconception": "q04:centred"}

q04 = ["a", "b", "c", "d"]
