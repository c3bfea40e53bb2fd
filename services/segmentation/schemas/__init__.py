"""Request and response models of the segmentation service (its public HTTP contract)."""
