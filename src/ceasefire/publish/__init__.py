"""What callers may read and how it leaves: the access policy and exports."""
