"""Risk: explainable rules that flag children who need someone to act."""
