"""Media: the portrait pipeline (Pillow) and the demo case dossiers."""
