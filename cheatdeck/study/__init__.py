"""Study aids printed from the deck: double-sided flashcards, and the focus page of the notes a learner
keeps missing (read from their own Anki reviews)."""
