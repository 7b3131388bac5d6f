"""bibkit: curated YAML bibliography records, validated and exported."""

__version__ = "0.1.0"
