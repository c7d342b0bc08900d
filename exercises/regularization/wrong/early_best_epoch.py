"""Returns the epoch of the best loss instead of the epoch where training stops."""
EXPECT = {"fails": ["early_stopping:examples"], "misconception": "best_epoch"}


def early_stopping_epoch(val_losses, patience):
    losses = list(val_losses)
    best_epoch = 0
    for epoch, loss in enumerate(losses):
        if loss < losses[best_epoch]:
            best_epoch = epoch
        if epoch - best_epoch >= patience:
            return best_epoch
    return best_epoch
