// Command printversion prints buildinfo.Version; TestLdflags builds it.
package main

import (
	"fmt"

	"bcstream/internal/buildinfo"
)

func main() { fmt.Print(buildinfo.Version()) }
