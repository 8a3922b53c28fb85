"""kb: an open knowledge base of studies and projects on the territorialisation of social and
health services in Brussels. Markdown entries -> SQL store -> full-text index -> static site."""
