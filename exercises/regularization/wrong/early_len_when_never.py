"""When patience never runs out, returns len(val_losses) instead of the last epoch."""
EXPECT = {"fails": ["early_stopping:never_stops"], "misconception": "off_by_one"}


def early_stopping_epoch(val_losses, patience):
    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch
    return len(val_losses)
