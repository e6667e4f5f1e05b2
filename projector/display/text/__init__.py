"""Text on a screen: fonts and their bold instances, shaping runs, line breaks, digits, fitting."""
