"""Core result types shared by the dataset backends."""
