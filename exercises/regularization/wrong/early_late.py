"""Stops when more than `patience` epochs have passed: one epoch late."""
EXPECT = {"fails": ["early_stopping:examples", "early_stopping:random"], "misconception": "off_by_one"}


def early_stopping_epoch(val_losses, patience):
    best, wait = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, wait = loss, 0
        else:
            wait += 1
        if wait > patience:
            return epoch
    return len(val_losses) - 1
