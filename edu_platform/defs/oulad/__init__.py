"""OULAD: the Open University Learning Analytics Dataset (Kuzilek et al. 2017, CC-BY 4.0)."""
