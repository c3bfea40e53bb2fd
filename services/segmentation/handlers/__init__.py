"""Use cases of the segmentation service, for events and for HTTP; they never commit."""
