"""One module per finding: each stage reads the patient's clinical state and says what it finds."""
