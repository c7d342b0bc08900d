"""Two letters for a one-answer question: refused with a message, no points."""
EXPECT = {"fails": ["q06:answer"]}

q06 = "a, b"
