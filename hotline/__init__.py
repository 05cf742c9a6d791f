"""Caucus results hotline: SMS and voice reporting for precinct chairs."""
