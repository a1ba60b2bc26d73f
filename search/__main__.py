from search.cli import main

# Guarded: `build --shards N` starts processes that import this module again.
if __name__ == "__main__":
    main()
