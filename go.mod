module ecowatch

go 1.26
