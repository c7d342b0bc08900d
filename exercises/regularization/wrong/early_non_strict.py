"""A loss equal to the best counts as an improvement (<= instead of <)."""
EXPECT = {"fails": ["early_stopping:ties"], "misconception": "non_strict"}


def early_stopping_epoch(val_losses, patience):
    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch
    return len(val_losses) - 1
