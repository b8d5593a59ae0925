package engine

import (
	"os"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

func TestMain(m *testing.M) { os.Exit(magetest.Main(m)) }
