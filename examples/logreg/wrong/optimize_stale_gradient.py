"""The gradient computed once, before the loop, and reused at every step."""
EXPECT = {"fails": ["optimize:example", "optimize:random"]}


def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009):
    grads, cost = propagate(w, b, X, Y)
    costs = []
    for i in range(num_iterations):
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs
