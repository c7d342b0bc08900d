"""A letter that is not an option."""
EXPECT = {"fails": ["q09:answer"]}

q09 = "z"
