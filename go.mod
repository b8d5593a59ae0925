module github.com/vswarmu/vswarmu-mage

go 1.26.8

require (
	github.com/fatih/color v1.19.0
	github.com/magefile/mage v1.17.2
	golang.org/x/sync v0.24.0
	golang.org/x/sys v0.49.0
	golang.org/x/term v0.47.0
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
)
