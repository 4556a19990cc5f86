module scalebench

go 1.26.8
