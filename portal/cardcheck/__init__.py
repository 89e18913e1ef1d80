"""Public card check (证卡查验): anyone verifies a card number without logging in."""
