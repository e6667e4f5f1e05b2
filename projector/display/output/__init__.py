"""Where frames go: the output set (windows, projectors, mappings), its stage, GL, test patterns."""
