"""Epochs counted from 1."""
EXPECT = {"fails": ["early_stopping:examples", "early_stopping:never_stops"], "misconception": "off_by_one"}


def early_stopping_epoch(val_losses, patience):
    best, best_epoch = float("inf"), 1
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch
    return len(val_losses)
