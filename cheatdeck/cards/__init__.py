"""What each note asks on cards: the card plan and the card-quality lint."""
