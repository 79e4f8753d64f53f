"""Online-course product data (Udacity-like): files landed by nanodegree/year/month, plus dimension files."""
